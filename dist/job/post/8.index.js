const n=8,t=[8],E={4008:((d,s,o)=>{o.d(s,{fromEnv:()=>_.sF});var _=o(3099)})};export{n as id,t as ids,E as modules};
